/**
 * The TCP reachability check run on a node, as a Perl one-liner: `perl-base` is Essential on
 * Debian and Ubuntu (it is in every `debootstrap --variant=minbase`), while curl, nc and bash's
 * /dev/tcp are not everywhere. Perl gives what curl cannot: the connect() errno, by its symbolic
 * name (ECONNREFUSED, EHOSTUNREACH, …) from Errno's %! hash, so the outcome depends neither on a
 * tool's English nor on the locale nor on the architecture's errno numbers. curl 7 and 8 both
 * exit 7 for a RST and for an ICMP unreachable alike, after 0 ms.
 *
 * Arguments: host, port, seconds; the wait may come from the environment instead (`_NC_WAIT`,
 * seconds with a fraction: the bundle's derived wait, probe-bundle.ts). Prints one line
 * `tcp-connect <ok|ERRNO-NAME|unresolved|…>`; exits 0 when connected, 1 when connect() failed,
 * 2 when it could not try.
 * An IPv4 address, the usual case, is connected without blocking and waited for with select(),
 * whose wait takes fractions and starts once Perl has started (a busy node's start-up is not in
 * it), then the outcome read from SO_ERROR; it is packed by hand, without loading Socket (its XS
 * module and Carp cost a small node more than the connect itself): AF_INET 2, SOCK_STREAM 1,
 * SOCK_NONBLOCK 04000, SOL_SOCKET 1 and SO_ERROR 4 are the generic Linux ABI (x86, Arm, RISC-V,
 * POWER, s390). Where they are not (MIPS, SPARC, Alpha, PA-RISC), socket() refuses the flag and
 * the check falls back to Socket's getaddrinfo(), which also takes IPv6 and DNS names: a blocking
 * connect() interrupted by SIGALRM is the timeout (Perl runs the handler right after the
 * interrupted call returns), after the wait rounded up to whole seconds (alarm takes no fraction).
 * Kept free of single quotes and backslashes: it is passed to the shell as one quoted word.
 */
export const TCP_CONNECT_PERL = [
  'use Errno; my ($s, $addr, $ok, $w); my $t = $ENV{_NC_WAIT};',
  '$t = $ARGV[2] unless defined $t and $t =~ /^[0-9]{1,4}([.][0-9]{1,6})?$/ and $t > 0;',
  '$SIG{ALRM} = sub { print "tcp-connect ETIMEDOUT", chr 10; exit 1 };',
  'if ($ARGV[0] =~ /^([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})$/ and !grep({ $_ > 255 } $1, $2, $3, $4) and socket($s, 2, 1 | 2048, 6)) {',
  '$ok = connect($s, pack("S n C4 x8", 2, $ARGV[1], $1, $2, $3, $4));',
  'if (!$ok and $!{EINPROGRESS}) { $w = ""; vec($w, fileno($s), 1) = 1; my $n = select(undef, $w, undef, $t);',
  'if ($n == 0) { $SIG{ALRM}->() } if ($n > 0) { my $v = getsockopt($s, 1, 4); my $e = defined $v ? unpack("i", $v) : 0 + $!; $! = $e; $ok = !$e } } } else {',
  'require Socket; my ($err, $ai) = Socket::getaddrinfo($ARGV[0], $ARGV[1], { socktype => Socket::SOCK_STREAM() });',
  'if ($err or !$ai) { print "tcp-connect unresolved", chr 10; exit 2 }',
  'socket($s, $ai->{family}, $ai->{socktype}, $ai->{protocol}) or do { print "tcp-connect nosocket", chr 10; exit 2 };',
  'alarm(int($t) < $t ? int($t) + 1 : $t); $ok = connect($s, $ai->{addr}); alarm 0 }',
  'my ($e) = $ok ? ("ok") : sort(grep { $!{$_} } keys %!);',
  'print "tcp-connect ", $e // "errno" . ($! + 0), chr 10; exit($ok ? 0 : 1);',
].join(' ');
