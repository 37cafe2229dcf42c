"""The referral pathway as data, and the engine that applies its transitions atomically."""
