// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: a module whose init triggers a kernel WARNING, so that
 * `make check-harness` can prove vmtest/run.sh fails a run whose kernel log
 * shows a splat. Never loaded by the normal suite.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init gmem_warn_test_init(void)
{
	WARN(1, "gmem_warn_test: deliberate warning for the vmtest log scanner\n");
	return 0;
}

static void __exit gmem_warn_test_exit(void)
{
}

module_init(gmem_warn_test_init);
module_exit(gmem_warn_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gmem vmtest: deliberate WARN for the log scanner self-test");
