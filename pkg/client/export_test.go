package client

// StartHint is startHint, for the external tests.
var StartHint = startHint
