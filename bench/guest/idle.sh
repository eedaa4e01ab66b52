# Idle guest: the host measures kite's CPU use between the two markers. The first
# seconds after boot still carry the kernel's deferred work (kworkers), so wait first.
sleep 5
# The wait between the markers is the shell's own `read -t` on a FIFO nobody writes: a
# `sleep` there would fork and exec inside the window, 10-20 ms of emulated work that is
# not idling (0.2-0.4% of the window, in both emulators).
mkfifo /tmp/idle.fifo
echo IDLE-START
read -t 5 idle_never <> /tmp/idle.fifo
echo IDLE-END
