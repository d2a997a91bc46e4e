"""The GNN filter's networks, one per module: encoders, the relational layer, decoders."""
