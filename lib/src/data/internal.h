/* data/internal.h — shared by the loaders of lib/src/data. Not installed. */
#ifndef LB_DATA_INTERNAL_H
#define LB_DATA_INTERNAL_H

#include "lowbit/data.h"

/* LB_OK if path names something that is not a directory (a file, or a device for a test);
 * LB_ERR_IO "PATH: no such readable file" if it does not exist, "PATH: is a directory, not
 * WHAT" if it is one (fopen succeeds on a directory on Linux and its "size" is then
 * 2^63-1, which the loaders would otherwise report as a corrupt or truncated file). */
lb_status lb_data_check_file(const char *path, const char *what, lb_error *err);

/* The parameter checks of lb_pairs_load (then lb_dataset_check of the base set) and of
 * lb_synthetic_load, without building anything: for lb_dataset_check. */
lb_status lb_pairs_check(const char *base, const char *params, const char *dir, int files,
                         lb_error *err);
lb_status lb_synthetic_check(const char *params, lb_error *err);

#endif
