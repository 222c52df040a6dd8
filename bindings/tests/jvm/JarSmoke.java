// A plain JVM app that has nothing on its classpath but changkaixin-jvm.jar (generated Kotlin,
// Kotlin runtime, and linux-x86-64/libchangkaixin_ffi.so as a resource) and jna.jar. JNA finds the
// native library inside the jar; no -Djna.library.path, no LD_LIBRARY_PATH.
// Run: java -cp changkaixin-jvm.jar:jna.jar JarSmoke.java
import cn.changzhou.changkaixin.*;

public class JarSmoke {
    public static void main(String[] args) throws Exception {
        Instrument phq9 = Catalog.Companion.builtin().instrument("phq9");
        ScoreReport report = phq9.scoreJson("{\"answers\": {\"1\": 1, \"2\": 2, \"3\": 1, \"4\": 2, \"5\": 1, \"6\": 1, \"7\": 1, \"8\": 2, \"9\": 1}}");
        ScaleResult total = report.getScales().get(0);
        boolean item9 = report.getFlags().stream().anyMatch(f -> f.getId().equals("item9_self_harm") && f.getLevel() == FlagLevel.CRITICAL);
        String code = "";
        try {
            phq9.scoreJson("{\"answers\": {\"1\": 7}}");
        } catch (ChangkaixinException e) {
            code = e.errorCode();
        }
        System.out.println("jar smoke: total=" + total.getRaw() + " band=" + total.getBand().getId() + " item9=" + item9 + " error=" + code);
        if (!"12".equals(total.getRaw()) || !"moderate".equals(total.getBand().getId()) || !item9 || !"score.unknown_option".equals(code)) {
            System.out.println("jar smoke: 0 passed, 1 failed");
            System.exit(1);
        }
        System.out.println("jar smoke: 1 passed, 0 failed");
    }
}
