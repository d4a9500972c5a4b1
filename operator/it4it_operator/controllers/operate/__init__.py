"""The Operate value stream (IT4IT 5.7): detect, diagnose and resolve incidents on instances."""
