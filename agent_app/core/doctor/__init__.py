"""`agent-app doctor`: prove on this computer that clicks land, typing arrives, and the model's conventions match."""
