package dev.todoplatform.service.todo;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One item of the list, as stored and as the API returns it. */
public record Todo(long id, String name, boolean completed, @JsonProperty("created_at") String createdAt) {
}
