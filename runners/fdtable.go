package runners

// otherDescriptors is what a load reserves in the descriptor table beyond
// a descriptor per request in flight (see reserveDescriptors): the record
// and reports, the readings of /proc, the services' pipes and whatever else
// the process holds.
const otherDescriptors = 64
