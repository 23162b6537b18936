"""`python -m assembly.sortition`: the child interpreter that computes a lottery (see
`lottery.lottery_compute`), reading the request on stdin and writing the answer on stdout."""

from assembly.sortition.lottery import child_main

child_main()
