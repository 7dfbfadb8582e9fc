/** The version of @vigil/core; plugins declare a `coreRange` that must include it. */
export const coreVersion = '0.1.0';
