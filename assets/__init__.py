"""Icons and desktop-integration files, installed as package data of agent_app.assets."""
