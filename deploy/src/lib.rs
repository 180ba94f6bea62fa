//! Renders OMEGA's AKS and Container Apps deployment from the one configuration, with a cost model.
