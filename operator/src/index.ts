// The operator is issue 3; this module only keeps the workspace buildable until it lands.
export {};
