"""Encoders: visual and textual backends behind one interface."""
