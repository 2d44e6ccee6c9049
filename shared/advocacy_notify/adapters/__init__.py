"""One small module per AWS service. Clients are created once, at first use."""
