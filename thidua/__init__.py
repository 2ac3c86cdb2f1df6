"""The pure core: plan, records, rules and report contexts, with no Google, Prefect, files or network."""
