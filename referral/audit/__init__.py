"""The access log: who read or changed what, when, from where and why."""
