"""Scriptable fakes for tests: real protocols on loopback, scripted turn by turn."""
