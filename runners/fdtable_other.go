//go:build !linux

package runners

// reserveDescriptors does nothing outside Linux, where the descriptor
// table's growth has not been seen to stall a load (see the Linux version).
func reserveDescriptors(int) {}
