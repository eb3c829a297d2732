package scan

// controlPlaneRules check control-plane configuration found in a
// repository and obsolete components. See issue 4.
var controlPlaneRules = []*Check{}
