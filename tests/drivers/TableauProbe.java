// Connects through the PostgreSQL JDBC driver as a client login and does what Tableau's
// PostgreSQL connector does: metadata listing, LIMIT 0 / WHERE 1=0 / custom SQL probes,
// the dashboard queries of tableau_queries.tsv, the export through a cursor, and a
// #Tableau_ temporary table.
//
// Usage: java -cp postgresql.jar TableauProbe.java URL USER PASSWORD QUERIES MODE
// MODE is "autocommit" or "transaction" (auto-commit off, fetch size 100, so the driver
// reads every result through a portal). Prints "R" lines with results, which the stage
// compares between clients, "CHECK" lines with assertions, and "INFO" lines.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.*;
import java.util.*;

public class TableauProbe {
    static final String SCHEMA = "uhc_reporting_client";
    static int failures = 0;

    static void check(String name, boolean ok, String detail) {
        System.out.println("CHECK\t" + name + "\t" + (ok ? "ok" : "FAIL\t" + detail));
        if (!ok) failures++;
    }

    static String cell(ResultSet rs, int column) throws SQLException {
        String value = rs.getString(column);
        return value == null ? "" : value;
    }

    static String hex(byte[] digest) {
        StringBuilder text = new StringBuilder();
        for (byte b : digest) text.append(String.format("%02x", b));
        return text.toString();
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], user = args[1], password = args[2];
        List<String> lines = Files.readAllLines(Path.of(args[3]), StandardCharsets.UTF_8);
        boolean transaction = args[4].equals("transaction");
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("sslmode", "require");
        props.setProperty("ApplicationName", "Tableau probe");

        try (Connection conn = DriverManager.getConnection(url, props)) {
            conn.setAutoCommit(!transaction);
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
                check("connection uses TLS", rs.next() && rs.getBoolean(1), "not an SSL connection");
            }
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SHOW TimeZone")) {
                rs.next();
                System.out.println("INFO\tsession_time_zone\t" + rs.getString(1));
            }
            listMetadata(conn, user);
            probeViews(conn, transaction);
            runQueries(conn, lines, transaction);
            probeTempTable(conn);
        }
        System.out.println("INFO\tfailures\t" + failures);
        System.exit(failures == 0 ? 0 : 1);
    }

    // Tableau lists schemas, tables and columns. The driver may list names the login
    // cannot read, but none of them may name a client, and reading them must fail.
    static void listMetadata(Connection conn, String user) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        Set<String> schemas = new TreeSet<>();
        try (ResultSet rs = meta.getSchemas()) {
            while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
        }
        check("schema list contains the client schema", schemas.contains(SCHEMA), schemas.toString());

        List<String[]> listed = new ArrayList<>();
        try (ResultSet rs = meta.getTables(null, null, "%", new String[] {"TABLE", "VIEW", "MATERIALIZED VIEW"})) {
            while (rs.next()) listed.add(new String[] {rs.getString("TABLE_SCHEM"), rs.getString("TABLE_NAME")});
        }
        List<String> clientNames = new ArrayList<>();
        List<String> readableOutside = new ArrayList<>();
        int refused = 0;
        for (String[] table : listed) {
            String name = table[0] + "." + table[1];
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.contains("unitedhealth") || lower.contains("aetna")) clientNames.add(name);
            if (table[0].equals(SCHEMA) || table[0].equals("pg_catalog") || table[0].equals("information_schema")) continue;
            Savepoint savepoint = conn.getAutoCommit() ? null : conn.setSavepoint();
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELECT 1 FROM \"" + table[0] + "\".\"" + table[1] + "\" LIMIT 0").close();
                readableOutside.add(name);
            } catch (SQLException e) {
                if ("42501".equals(e.getSQLState())) refused++;
                else readableOutside.add(name + " (" + e.getSQLState() + ")");
                if (savepoint != null) conn.rollback(savepoint);
            }
        }
        check("listed names naming a client", clientNames.isEmpty(), clientNames.toString());
        check("listed tables outside the client views readable", readableOutside.isEmpty(), readableOutside.toString());
        check("listed tables outside the client views refused with 42501", refused > 0, "none listed");

        List<String> views = new ArrayList<>();
        try (ResultSet rs = meta.getTables(null, SCHEMA, "%", new String[] {"VIEW"})) {
            while (rs.next()) {
                views.add(rs.getString("TABLE_NAME"));
                check("remark on view " + rs.getString("TABLE_NAME"),
                      rs.getString("REMARKS") != null && !rs.getString("REMARKS").isEmpty(), "missing");
            }
        }
        Collections.sort(views);
        System.out.println("R\tviews\t" + String.join("|", views));
        try (ResultSet rs = meta.getColumns(null, SCHEMA, "%", "%")) {
            List<String> columns = new ArrayList<>();
            while (rs.next()) {
                String column = rs.getString("TABLE_NAME") + "." + rs.getString("COLUMN_NAME");
                columns.add(column + ":" + rs.getString("TYPE_NAME"));
                check("remark on column " + column,
                      rs.getString("REMARKS") != null && !rs.getString("REMARKS").isEmpty(), "missing");
            }
            Collections.sort(columns);
            System.out.println("R\tcolumns\t" + String.join("|", columns));
        }
    }

    // Tableau reads the shape of each table with queries that return no rows.
    static void probeViews(Connection conn, boolean transaction) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        List<String> views = new ArrayList<>();
        try (ResultSet rs = meta.getTables(null, SCHEMA, "%", new String[] {"VIEW"})) {
            while (rs.next()) views.add(rs.getString("TABLE_NAME"));
        }
        Collections.sort(views);
        for (String view : views) {
            String table = "\"" + SCHEMA + "\".\"" + view + "\"";
            String[] probes = {
                "SELECT * FROM " + table + " LIMIT 0",
                "SELECT * FROM " + table + " WHERE 1=0",
                "SELECT * FROM (SELECT * FROM " + table + ") \"Custom SQL Query\" LIMIT 0",
            };
            List<String> shapes = new ArrayList<>();
            for (String probe : probes) {
                try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(probe)) {
                    ResultSetMetaData md = rs.getMetaData();
                    StringBuilder shape = new StringBuilder();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        shape.append(md.getColumnLabel(i)).append(':').append(md.getColumnTypeName(i));
                        if (md.getColumnTypeName(i).equals("numeric")) {
                            shape.append('(').append(md.getPrecision(i)).append(',').append(md.getScale(i)).append(')');
                        }
                        shape.append(' ');
                    }
                    check("probe returns no rows: " + probe, !rs.next(), "returned a row");
                    shapes.add(shape.toString().trim());
                }
            }
            check("probe shapes agree for " + view, new HashSet<>(shapes).size() == 1, shapes.toString());
            System.out.println("R\tshape " + view + "\t" + shapes.get(0));
        }
    }

    static void runQueries(Connection conn, List<String> lines, boolean transaction) throws Exception {
        for (String line : lines) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            String label = line.substring(0, line.indexOf('\t'));
            String sql = line.substring(line.indexOf('\t') + 1);
            try (Statement st = conn.createStatement()) {
                if (transaction) st.setFetchSize(100);
                try (ResultSet rs = st.executeQuery(sql)) {
                    int columns = rs.getMetaData().getColumnCount();
                    if (!label.equals("export")) {
                        while (rs.next()) {
                            StringBuilder row = new StringBuilder();
                            for (int i = 1; i <= columns; i++) row.append(i > 1 ? "|" : "").append(cell(rs, i));
                            System.out.println("R\t" + label + "\t" + row);
                        }
                        continue;
                    }
                    // The export: a digest of the sort keys in the order received and a
                    // digest of the rows in sorted order, so that ties may come in any order.
                    MessageDigest keys = MessageDigest.getInstance("SHA-256");
                    List<String> rows = new ArrayList<>();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= columns; i++) row.append(i > 1 ? "|" : "").append(cell(rs, i));
                        rows.add(row.toString());
                        String key = cell(rs, 3) + "|" + cell(rs, 5) + "|" + cell(rs, 9) + "\n";
                        keys.update(key.getBytes(StandardCharsets.UTF_8));
                    }
                    Collections.sort(rows);
                    MessageDigest content = MessageDigest.getInstance("SHA-256");
                    for (String row : rows) content.update((row + "\n").getBytes(StandardCharsets.UTF_8));
                    System.out.println("R\texport\trows=" + rows.size() + " keys=" + hex(keys.digest())
                                       + " content=" + hex(content.digest()));
                }
            }
        }
        if (transaction) conn.commit();
    }

    // Tableau creates temporary tables named like #Tableau_<n>_<id> for large filters.
    // Whether that works follows the database's TEMP privilege, so both outcomes are
    // accepted here and reported.
    static void probeTempTable(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE LOCAL TEMPORARY TABLE \"#Tableau_1_Filter\" (\"X_procedure_group\" TEXT) ON COMMIT PRESERVE ROWS");
            st.execute("INSERT INTO \"#Tableau_1_Filter\" VALUES ('Dental'), ('Screening')");
            try (ResultSet rs = st.executeQuery(
                    "SELECT COUNT(1) FROM \"uhc_reporting_client\".\"procedure_export\" \"procedure_export\" "
                    + "JOIN \"#Tableau_1_Filter\" f ON f.\"X_procedure_group\" = \"procedure_export\".\"procedure_group\"")) {
                rs.next();
                System.out.println("R\ttemp_table_join\t" + rs.getLong(1));
            }
            st.execute("DROP TABLE \"#Tableau_1_Filter\"");
            if (!conn.getAutoCommit()) conn.commit();
            System.out.println("INFO\ttemp_table\tcreated");
        } catch (SQLException e) {
            check("temporary table refused with 42501", "42501".equals(e.getSQLState()), e.getSQLState());
            System.out.println("INFO\ttemp_table\trefused " + e.getSQLState());
            if (!conn.getAutoCommit()) conn.rollback();
        }
    }
}
