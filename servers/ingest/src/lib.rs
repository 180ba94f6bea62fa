//! Webhook payload parsing, signature checks and normalization for Kaseya BMS, Zendesk, ServiceNow and Salesforce.
