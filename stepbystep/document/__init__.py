"""The walkthrough as a document, built from a trace."""
