// SPDX-License-Identifier: GPL-2.0
/*
 * Built, never run: gmempolicy.h must compile in strict ISO C (-std=c11
 * -pedantic, no _GNU_SOURCE), as a program including the installed header
 * may be built that way. host.mk compiles this file as part of `make`.
 */
#include <gmempolicy.h>

int c11_header_uses(struct gmem_policy *p);
int c11_header_uses(struct gmem_policy *p)
{
	return gmem_policy_wait(p, 0, NULL);
}
