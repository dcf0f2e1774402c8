/* io/h5probe.h — containment of the HDF5 library on files lowbit did not write.
 *
 * Debian's libhdf5 1.10.8 itself crashes (heap overflows, SIGSEGV, abort) or loops forever on
 * some corrupted files (tests/fuzz/libhdf5/); nothing lowbit checks first can prevent it,
 * because the first call on the file already reaches the faulty code. Every reader of an HDF5
 * input (lb_hdf5_load, lb_results_read, lb_results_read_ops) therefore runs itself first in a
 * forked child: the child runs the very same reader with stdout and stderr on /dev/null and
 * reports over a pipe that the reader returned (with success or with an error). Only then does
 * the calling process run the reader, on the same bytes (the file's device, inode, size and
 * modification time are compared before and after the probe). A child that dies (a signal, a
 * sanitizer's exit status) or does not finish within the time limit (then it is killed) makes
 * the reader fail with LB_ERR_DATA and one line:
 *     FILE: corrupt HDF5 file: reading it crashed the HDF5 library (SIGSEGV)
 *     FILE: corrupt HDF5 file: reading it did not finish in 30 s (LOWBIT_H5_PROBE_TIMEOUT)
 * The limit is 30 s plus 1 s per 8 MiB of the file, or LOWBIT_H5_PROBE_TIMEOUT seconds (a whole
 * number from 1 to 86400; anything else is LB_ERR_ARG naming the variable). POSIX only
 * (fork, pipe, poll, waitpid). Not installed. */
#ifndef LB_IO_H5PROBE_H
#define LB_IO_H5PROBE_H

#include "lowbit/status.h"

/* A reader: fills what arg points to and returns its status (err: its message). */
typedef lb_status (*lb_h5_reader)(void *arg, lb_error *err);

/* Runs reader(arg) in a forked child; if the child returned from it, runs reader(arg, err) here
 * and returns its status. Otherwise returns LB_ERR_DATA (crash, time-out), LB_ERR_IO (the file
 * changed during the probe, or fork/pipe failed) or LB_ERR_ARG (a bad LOWBIT_H5_PROBE_TIMEOUT)
 * without calling reader in this process. path names the file in the messages. */
lb_status lb_h5_probe_read(const char *path, lb_h5_reader reader, void *arg, lb_error *err);

#endif
