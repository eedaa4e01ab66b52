# Idle guest: the host measures kite's CPU use between the two markers. The first
# seconds after boot still carry the kernel's deferred work (kworkers), so wait first.
sleep 5
echo IDLE-START
sleep 5
echo IDLE-END
