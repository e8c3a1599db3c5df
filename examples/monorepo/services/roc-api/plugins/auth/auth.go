// SPDX-License-Identifier: Apache-2.0
package auth

// Allowed reports whether a token may call the API.
func Allowed(token string) bool {
	return token != ""
}
