"""Framework-free computation engines (no Django imports)."""
