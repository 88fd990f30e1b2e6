import java.security.MessageDigest;
import java.util.regex.Pattern;

// A JVM service that compiles a regular expression per request, for the eBPF end-to-end test.
public class Workload {
    static byte sink;

    static void otherWork(MessageDigest md, byte[] buf, int n) {
        for (int i = 0; i < n; i++) {
            byte[] h = md.digest(buf);
            buf[i % buf.length] = h[0];
            sink ^= h[1];
        }
    }

    public static void main(String[] args) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[4096];
        for (long i = 0; ; i++) {
            Pattern p = Pattern.compile("^user-(\\d+)-" + i + "-[a-z]+@(example|test)\\.(com|org)$");
            if (p.matcher("user-42-" + i + "-abc@example.com").matches()) {
                sink++;
            }
            otherWork(md, buf, 1);
        }
    }
}
