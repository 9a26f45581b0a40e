"""Reports drawn after provisioning: each model's report card, the assistant's report and the home page's pictures."""
