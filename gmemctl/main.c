// SPDX-License-Identifier: GPL-2.0
/* gmemctl: control gmem memory policies and inspect devices and objects. */
#include <stdio.h>

#include "gmemctl.h"

int main(int argc, char **argv)
{
	return gmemctl_main(argc, argv, stdout, stderr);
}
