//! OMEGA's embedded ticket classifier: trained from ticket history, calibrated, abstains when unsure.
