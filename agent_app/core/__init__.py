"""The agent's core: model client, parser, coordinates, executor, loop and recording. No Qt here."""
