package scan

// clusterRules check across objects: NetworkPolicy, RBAC, bindings,
// control-plane exposure. See issue 4.
var clusterRules = []*Check{}
