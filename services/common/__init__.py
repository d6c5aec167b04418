"""What more than one service needs: contracts, Kafka plumbing, settings, ops endpoints, logging."""
