"""Search backends behind `HybridRetriever`: local (in-process) and Weaviate."""
