#!/bin/busybox sh
# PID 1 of the "Try it in your browser" VM: mount the kernel's filesystems, turn on the cgroup
# controllers the page uses, then give the page a shell on the serial port.
# Debian 13 ships BusyBox in /usr/bin; its applets also go to /sbin and /usr/sbin.
mkdir -p /sbin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root PS1='vm# '
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "+cpu +pids +memory" > /sys/fs/cgroup/cgroup.subtree_control
hostname vm
cd /root
# A wide terminal: the shell's line editor would otherwise redraw lines longer than 80 columns.
stty -F /dev/ttyS0 cols 1000 rows 40
# Kernel messages (an OOM report is 100 lines) go to dmesg, not over the slow serial console.
echo 1 > /proc/sys/kernel/printk
echo "init: ready"
while true; do setsid cttyhack sh -l; done
