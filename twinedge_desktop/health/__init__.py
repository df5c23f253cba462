"""Key health: the seed's security practices checked against each API key. No Qt, no I/O."""
