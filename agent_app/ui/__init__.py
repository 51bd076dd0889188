"""The desktop app: a thin Qt layer over agent_app.core."""
