package orders;

import java.util.Map;

public class Place {
    public Map<String, Object> handleRequest(Map<String, Object> event) {
        return Map.of("statusCode", 201, "body", "placed");
    }
}
