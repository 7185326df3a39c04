"""Application loading: command-line parsing, configuration files and the app callable."""
