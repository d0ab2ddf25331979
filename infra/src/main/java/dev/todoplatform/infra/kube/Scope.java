package dev.todoplatform.infra.kube;

import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.meta.v1.inputs.LabelSelectorArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a component's Kubernetes objects go: the explicit provider (never the ambient kubeconfig), the namespace,
 * the stack instance its labels name, and the parent component. What a component is made of comes from its own
 * args, never from here.
 */
public record Scope(Provider provider, String namespace, String instance, Resource parent) {
    public static final String PART_OF = "todo-platform";
    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";

    public Scope(Provider provider, String namespace, String instance) {
        this(provider, namespace, instance, null);
    }

    /** The same place, for the children of {@code component}. */
    public Scope within(Resource component) {
        return new Scope(provider, namespace, instance, component);
    }

    public CustomResourceOptions options() {
        return options(List.of());
    }

    public CustomResourceOptions options(List<Resource> dependsOn) {
        return builder(dependsOn).build();
    }

    /** Options to add to (timeouts, ignored fields), with the provider, parent and dependencies set. */
    public CustomResourceOptions.Builder builder(List<Resource> dependsOn) {
        CustomResourceOptions.Builder builder = CustomResourceOptions.builder().provider(provider).dependsOn(dependsOn);
        if (parent != null) {
            builder.parent(parent);
        }
        return builder;
    }

    /** The selector labels of a component: stable for the life of the stack. */
    public Map<String, String> selector(String component) {
        return Map.of(NAME_LABEL, component, INSTANCE_LABEL, instance);
    }

    /** The recommended app.kubernetes.io labels. */
    public Map<String, String> labels(String component) {
        Map<String, String> labels = new LinkedHashMap<>(selector(component));
        labels.put("app.kubernetes.io/component", component);
        labels.put("app.kubernetes.io/part-of", PART_OF);
        labels.put("app.kubernetes.io/managed-by", "pulumi");
        return labels;
    }

    public ObjectMetaArgs meta(String name, String component) {
        return ObjectMetaArgs.builder().name(name).namespace(namespace).labels(labels(component)).build();
    }

    public LabelSelectorArgs selectorArgs(String component) {
        return LabelSelectorArgs.builder().matchLabels(selector(component)).build();
    }
}
