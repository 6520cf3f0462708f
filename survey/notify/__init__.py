"""Channels (渠道): where messages go beyond the inbox, through Apprise — e-mail over SMTP, the
企业微信 group robot, the 钉钉 custom robot and a generic JSON webhook — and their delivery (digests,
rate limits, retries with backoff, every attempt recorded)."""
