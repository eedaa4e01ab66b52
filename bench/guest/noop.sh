# Boot benchmark: reaching this script is "init"; returning powers the guest off.
echo "BENCH reached-init 1"
