"""llamax-cli: translate text in 102 languages with LLaMAX models, locally."""

__version__ = "0.1.0"
