"""Owner emails, outreach drafts and sending them."""
