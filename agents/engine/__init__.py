"""The offline coding engine: deterministic computer-assisted coding over the official code set."""
