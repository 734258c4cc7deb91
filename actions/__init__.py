"""The Wegwijzer action server (rasa-sdk). Start with `rasa run actions` from the repository root."""
