"""The bus between sources and processors: in-process memory queue, or Kafka."""
