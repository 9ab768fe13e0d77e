/**
 * The pair prober run on a source node, as one Perl program (perl-base is Essential on Debian and
 * Ubuntu; it has Socket, Errno and Fcntl). One process probes every target at once: ICMP echo over
 * one raw socket (root) or a ping socket (net.ipv4.ping_group_range), TCP as non-blocking connects
 * watched by select(). On 100 nodes a source has ~400 probes: a `ping`/`perl` process per probe
 * would be 40,000 process starts across the fleet, which a 2-core node cannot do in seconds.
 *
 * Arguments: the deadline (seconds, may be fractional), the boundary, the targets, one per line:
 * `<id> icmp <ipv4>` or `<id> tcp <ipv4> <port>`. Prints one line per target:
 * `<boundary> <id> <ok|refused|fail|timeout|unknown> <detail>`, detail one word (an errno name,
 * `reply`, `unreach-<code>` …). ICMP requests go out in bursts of 16, 4 ms apart, after a random
 * start within 50 ms, and are repeated at a quarter, half and three quarters of the deadline to
 * the targets that have not answered: 100 sources starting at once overflow the kernel's receive
 * backlog (netdev_max_backlog, 1000 packets per CPU) on a small machine, and a lost burst must not
 * read as a failed pair. At most 64 connects are in flight. Whatever is still open at the
 * deadline is `timeout`.
 * Kept free of single quotes and backslashes: it is passed to the shell as one quoted word.
 */
export const PAIR_PROBE_PERL = String.raw`
use strict; use Socket; use Errno; use Fcntl;
my ($T, $B, $spec) = @ARGV; my (@ic, @tc, %res); $| = 0;
sub en { my ($e) = @_; $! = $e; my ($n) = sort(grep { $!{$_} } keys %!); return $n // "errno$e" }
sub put { my ($id, $o, $d) = @_; $res{$id} //= "$o $d" }
for my $l (split /\n/, $spec) { my ($id, $k, $h, $p) = split / /, $l; next unless defined $h;
  my $a = inet_aton($h); if (!$a) { put($id, "unknown", "unresolved"); next }
  if ($k eq "icmp") { push @ic, [$id, $a] } elsif ($k eq "tcp" && defined $p && $p =~ /^[0-9]+$/) { push @tc, [$id, $a, $p] } else { put($id, "unknown", "badspec") } }
my ($is, $raw) = (undef, 1);
if (@ic) { if (!socket($is, PF_INET, SOCK_RAW, 1)) { $raw = 0; if (!socket($is, PF_INET, SOCK_DGRAM, 1)) { put($_->[0], "unknown", "no-icmp-socket") for @ic; @ic = (); $is = undef } } }
if ($is) { fcntl($is, F_SETFL, O_NONBLOCK); setsockopt($is, SOL_SOCKET, 33, 4194304) or setsockopt($is, SOL_SOCKET, SO_RCVBUF, 4194304) }
my $pid = $$ & 0xffff; my %bysq; $bysq{$_} = $ic[$_][0] for 0 .. $#ic;
sub cks { my $s = 0; $s += $_ for unpack("n*", $_[0]); $s = ($s >> 16) + ($s & 0xffff) while $s >> 16; return ~$s & 0xffff }
sub echo { my $p = pack("CCnnn", 8, 0, 0, $pid, $_[0]) . "netcheck"; substr($p, 2, 2) = pack("n", cks($p)); return $p }
my $round = 0; my @when = (rand(0.05), 0.25 * $T, 0.5 * $T, 0.75 * $T); my $el = 0;
my (%tcs, %tcw); my @tq = @tc; my $tin = 0;
sub starttcp { while (@tq && $tin < 64) { my $t = shift @tq; my $s;
  if (!socket($s, PF_INET, SOCK_STREAM, 6)) { put($t->[0], "unknown", en($! + 0)); next }
  fcntl($s, F_SETFL, O_NONBLOCK);
  if (connect($s, sockaddr_in($t->[2], $t->[1]))) { put($t->[0], "ok", "connected"); close $s; next }
  my $e = $! + 0; if ($!{EINPROGRESS}) { $tcs{fileno $s} = [$t, $s]; $tin++; next }
  put($t->[0], $!{ECONNREFUSED} ? "refused" : "fail", en($e)); close $s } }
sub rdicmp { while (1) { my $from = recv($is, my $buf, 1500, 0); last unless defined $from && length $buf;
  my $o = 0; if ($raw) { $o = (ord(substr($buf, 0, 1)) & 15) * 4 } next if length($buf) < $o + 8;
  my ($ty, $co, undef, $id, $sq) = unpack("CCnnn", substr($buf, $o, 8));
  if ($ty == 0) { next if $raw && $id != $pid; put($bysq{$sq}, "ok", "reply") if exists $bysq{$sq}; next }
  if ($raw && ($ty == 3 || $ty == 11) && length($buf) >= $o + 8 + 28) { my $in = substr($buf, $o + 8); my $io = (ord(substr($in, 0, 1)) & 15) * 4;
    next if length($in) < $io + 8; my ($ity, undef, undef, $iid, $isq) = unpack("CCnnn", substr($in, $io, 8));
    put($bysq{$isq}, "fail", ($ty == 3 ? "unreach-" : "ttl-") . $co) if $ity == 8 && $iid == $pid && exists $bysq{$isq} } } }
sub sendround { my @todo = grep { !exists $res{$ic[$_][0]} } 0 .. $#ic; my $n = 0;
  for my $i (@todo) { my $ok = send($is, echo($i), 0, sockaddr_in(0, $ic[$i][1]));
    put($ic[$i][0], "fail", en($! + 0)) if !defined $ok && !$!{EAGAIN} && !$!{ENOBUFS};
    if (++$n % 16 == 0) { my $r = ""; vec($r, fileno $is, 1) = 1; my (undef, $tl) = select($r, undef, undef, 0.004); $el += 0.004 - ($tl // 0); rdicmp() } } }
starttcp();
while (1) {
  if ($is && $round < @when && $el >= $when[$round]) { sendround(); $round++ }
  my $open = grep { !exists $res{$_->[0]} } @ic; last if !$open && !%tcs && !@tq; last if $el >= $T;
  my ($r, $w) = ("", ""); vec($r, fileno $is, 1) = 1 if $is && $open; vec($w, $_, 1) = 1 for keys %tcs;
  my $wait = 0.05; $wait = $when[$round] - $el if $round < @when && $when[$round] - $el < $wait; $wait = 0.001 if $wait < 0.001;
  my ($n, $tl) = select(my $ro = $r, my $wo = $w, undef, $wait); $el += $wait - ($tl // 0);
  next unless $n && $n > 0;
  rdicmp() if $is && vec($ro, fileno $is, 1);
  for my $fd (keys %tcs) { next unless vec($wo, $fd, 1); my ($t, $s) = @{$tcs{$fd}}; delete $tcs{$fd}; $tin--;
    my $e = unpack("i", getsockopt($s, SOL_SOCKET, SO_ERROR) // pack("i", 0));
    if (!$e) { put($t->[0], "ok", "connected") } else { $! = $e; put($t->[0], $!{ECONNREFUSED} ? "refused" : "fail", en($e)) }
    close $s }
  starttcp() }
for my $t (@ic, @tc) { put($t->[0], "timeout", "no-answer") }
print "$B $_ $res{$_}", chr(10) for sort { $a <=> $b } keys %res;
`
  .trim()
  .replace(/\n/g, ' ');
