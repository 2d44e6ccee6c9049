"""Use cases: each combines pure domain rules with the AWS adapters. Handlers call one of these."""
